// The words of the demo FAQ world: customer-service actions on account objects, in four
// languages. Each action and object has three surface forms; the first is the one the answers
// (documents) use, the others are synonyms only queries use, so that matching a query to its
// answer takes learned synonymy rather than word overlap.

export const LANGUAGES = ['en', 'de', 'fr', 'es'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Grammatical gender, for articles and possessives (en ignores it). */
export type Gender = 'm' | 'f' | 'n';
export type Noun = [word: string, gender: Gender];

/** Infinitives; the first is the canonical one used in answers. */
export type ActionWords = Record<Lang, [string, string, string]>;
/** Nouns; the first is the canonical one used in answers. */
export type ObjectWords = Record<Lang, [Noun, Noun, Noun]>;

export const ACTIONS: Record<string, ActionWords> = {
  cancel: { en: ['cancel', 'call off', 'terminate'], de: ['kündigen', 'stornieren', 'beenden'], fr: ['annuler', 'résilier', 'arrêter'], es: ['cancelar', 'anular', 'dar de baja'] },
  change: { en: ['change', 'modify', 'edit'], de: ['ändern', 'bearbeiten', 'anpassen'], fr: ['modifier', 'changer', 'corriger'], es: ['cambiar', 'modificar', 'editar'] },
  delete: { en: ['delete', 'remove', 'erase'], de: ['löschen', 'entfernen', 'tilgen'], fr: ['supprimer', 'effacer', 'retirer'], es: ['eliminar', 'borrar', 'quitar'] },
  reset: { en: ['reset', 'recover', 'restore'], de: ['zurücksetzen', 'wiederherstellen', 'neu vergeben'], fr: ['réinitialiser', 'récupérer', 'restaurer'], es: ['restablecer', 'recuperar', 'reiniciar'] },
  download: { en: ['download', 'save a copy of', 'get a PDF of'], de: ['herunterladen', 'speichern', 'als PDF abrufen'], fr: ['télécharger', 'enregistrer', 'obtenir une copie de'], es: ['descargar', 'guardar', 'obtener una copia de'] },
  track: { en: ['track', 'follow', 'check the status of'], de: ['verfolgen', 'nachverfolgen', 'orten'], fr: ['suivre', 'localiser', 'pister'], es: ['rastrear', 'seguir', 'localizar'] },
  pay: { en: ['pay', 'settle', 'pay for'], de: ['bezahlen', 'begleichen', 'zahlen'], fr: ['payer', 'régler', 'acquitter'], es: ['pagar', 'abonar', 'saldar'] },
  activate: { en: ['activate', 'enable', 'turn on'], de: ['aktivieren', 'freischalten', 'einschalten'], fr: ['activer', 'débloquer', 'mettre en service'], es: ['activar', 'habilitar', 'encender'] },
  share: { en: ['share', 'send', 'forward'], de: ['teilen', 'weiterleiten', 'senden'], fr: ['partager', 'transférer', 'envoyer'], es: ['compartir', 'reenviar', 'enviar'] },
  renew: { en: ['renew', 'extend', 'prolong'], de: ['verlängern', 'erneuern', 'fortsetzen'], fr: ['renouveler', 'prolonger', 'reconduire'], es: ['renovar', 'prorrogar', 'extender'] },
  return: { en: ['return', 'send back', 'exchange'], de: ['zurücksenden', 'zurückschicken', 'umtauschen'], fr: ['retourner', 'renvoyer', 'échanger'], es: ['devolver', 'regresar', 'retornar'] },
  add: { en: ['add', 'set up', 'register'], de: ['hinzufügen', 'hinterlegen', 'einrichten'], fr: ['ajouter', 'associer', 'configurer'], es: ['añadir', 'agregar', 'registrar'] },
};

export const OBJECTS: Record<string, ObjectWords> = {
  subscription: { en: [['subscription', 'f'], ['membership', 'f'], ['plan', 'm']], de: [['Abonnement', 'n'], ['Abo', 'n'], ['Mitgliedschaft', 'f']], fr: [['abonnement', 'm'], ['adhésion', 'f'], ['forfait', 'm']], es: [['suscripción', 'f'], ['membresía', 'f'], ['plan', 'm']] },
  password: { en: [['password', 'n'], ['passcode', 'n'], ['passphrase', 'n']], de: [['Passwort', 'n'], ['Kennwort', 'n'], ['Zugangscode', 'm']], fr: [['mot de passe', 'm'], ["code d'accès", 'm'], ['identifiant', 'm']], es: [['contraseña', 'f'], ['clave', 'f'], ['código de acceso', 'm']] },
  order: { en: [['order', 'n'], ['purchase', 'n'], ['online purchase', 'n']], de: [['Bestellung', 'f'], ['Einkauf', 'm'], ['Kauf', 'm']], fr: [['commande', 'f'], ['achat', 'm'], ['panier', 'm']], es: [['pedido', 'm'], ['compra', 'f'], ['encargo', 'm']] },
  invoice: { en: [['invoice', 'n'], ['bill', 'n'], ['receipt', 'n']], de: [['Rechnung', 'f'], ['Quittung', 'f'], ['Beleg', 'm']], fr: [['facture', 'f'], ['reçu', 'm'], ['note', 'f']], es: [['factura', 'f'], ['recibo', 'm'], ['comprobante', 'm']] },
  account: { en: [['account', 'n'], ['user account', 'n'], ['login', 'n']], de: [['Konto', 'n'], ['Benutzerkonto', 'n'], ['Kundenkonto', 'n']], fr: [['compte', 'm'], ['espace client', 'm'], ['compte client', 'm']], es: [['cuenta', 'f'], ['cuenta de usuario', 'f'], ['registro', 'm']] },
  address: { en: [['address', 'n'], ['postal address', 'n'], ['home address', 'n']], de: [['Adresse', 'f'], ['Anschrift', 'f'], ['Lieferadresse', 'f']], fr: [['adresse', 'f'], ['adresse postale', 'f'], ['domicile', 'm']], es: [['dirección', 'f'], ['domicilio', 'm'], ['dirección postal', 'f']] },
  card: { en: [['credit card', 'n'], ['bank card', 'n'], ['payment card', 'n']], de: [['Kreditkarte', 'f'], ['Bankkarte', 'f'], ['Zahlungskarte', 'f']], fr: [['carte bancaire', 'f'], ['carte de crédit', 'f'], ['carte de paiement', 'f']], es: [['tarjeta de crédito', 'f'], ['tarjeta bancaria', 'f'], ['tarjeta de pago', 'f']] },
  email: { en: [['email address', 'n'], ['e-mail', 'n'], ['mail address', 'n']], de: [['E-Mail-Adresse', 'f'], ['Mailadresse', 'f'], ['E-Mail', 'f']], fr: [['adresse e-mail', 'f'], ['courriel', 'm'], ['adresse mail', 'f']], es: [['correo electrónico', 'm'], ['email', 'm'], ['dirección de correo', 'f']] },
  phone: { en: [['phone number', 'n'], ['mobile number', 'n'], ['telephone number', 'n']], de: [['Telefonnummer', 'f'], ['Handynummer', 'f'], ['Mobilnummer', 'f']], fr: [['numéro de téléphone', 'm'], ['numéro de portable', 'm'], ['téléphone', 'm']], es: [['número de teléfono', 'm'], ['móvil', 'm'], ['número de celular', 'm']] },
  booking: { en: [['booking', 'n'], ['reservation', 'n'], ['appointment', 'n']], de: [['Buchung', 'f'], ['Reservierung', 'f'], ['Termin', 'm']], fr: [['réservation', 'f'], ['rendez-vous', 'm'], ['séjour', 'm']], es: [['reserva', 'f'], ['cita', 'f'], ['reservación', 'f']] },
  parcel: { en: [['parcel', 'n'], ['package', 'n'], ['delivery', 'n']], de: [['Paket', 'n'], ['Sendung', 'f'], ['Lieferung', 'f']], fr: [['colis', 'm'], ['paquet', 'm'], ['livraison', 'f']], es: [['paquete', 'm'], ['envío', 'm'], ['entrega', 'f']] },
  voucher: { en: [['voucher', 'n'], ['gift card', 'n'], ['coupon', 'n']], de: [['Gutschein', 'm'], ['Geschenkkarte', 'f'], ['Coupon', 'm']], fr: [["bon d'achat", 'm'], ['carte cadeau', 'f'], ['coupon', 'm']], es: [['vale', 'm'], ['tarjeta regalo', 'f'], ['cupón', 'm']] },
  newsletter: { en: [['newsletter', 'n'], ['mailing list', 'n'], ['email updates', 'n']], de: [['Newsletter', 'm'], ['Rundbrief', 'm'], ['Infobrief', 'm']], fr: [['newsletter', 'f'], ["lettre d'information", 'f'], ['infolettre', 'f']], es: [['boletín', 'm'], ['newsletter', 'm'], ['boletín informativo', 'm']] },
  contract: { en: [['contract', 'n'], ['agreement', 'n'], ['policy', 'n']], de: [['Vertrag', 'm'], ['Vereinbarung', 'f'], ['Police', 'f']], fr: [['contrat', 'm'], ['accord', 'm'], ['police', 'f']], es: [['contrato', 'm'], ['acuerdo', 'm'], ['póliza', 'f']] },
  ticket: { en: [['ticket', 'n'], ['e-ticket', 'n'], ['pass', 'n']], de: [['Ticket', 'n'], ['Fahrkarte', 'f'], ['Eintrittskarte', 'f']], fr: [['billet', 'm'], ['ticket', 'm'], ['titre de transport', 'm']], es: [['billete', 'm'], ['entrada', 'f'], ['boleto', 'm']] },
  photo: { en: [['profile picture', 'n'], ['avatar', 'n'], ['profile photo', 'n']], de: [['Profilbild', 'n'], ['Avatar', 'm'], ['Profilfoto', 'n']], fr: [['photo de profil', 'f'], ['avatar', 'm'], ['image de profil', 'f']], es: [['foto de perfil', 'f'], ['avatar', 'm'], ['imagen de perfil', 'f']] },
};

/** Which actions make sense for each object: the (action, object) pairs of the FAQ. */
export const PAIRS: Record<string, string[]> = {
  subscription: ['cancel', 'change', 'pay', 'renew', 'activate', 'share'],
  password: ['change', 'reset'],
  order: ['cancel', 'change', 'track', 'return', 'pay'],
  invoice: ['download', 'pay', 'change', 'share'],
  account: ['delete', 'activate', 'change', 'cancel', 'reset'],
  address: ['change', 'delete', 'add'],
  card: ['add', 'delete', 'change', 'activate', 'cancel'],
  email: ['change', 'delete', 'add', 'activate'],
  phone: ['change', 'delete', 'add', 'share'],
  booking: ['cancel', 'change', 'pay', 'share', 'download'],
  parcel: ['track', 'return'],
  voucher: ['activate', 'share', 'add', 'download'],
  newsletter: ['cancel', 'activate', 'change'],
  contract: ['cancel', 'renew', 'download', 'change'],
  ticket: ['cancel', 'download', 'change', 'share', 'pay', 'return'],
  photo: ['change', 'delete', 'add', 'download', 'share'],
};

/**
 * Question templates: {v} a verb, {o} the object with a first-person possessive ("my order"),
 * {b} the bare object ("order"). Training uses `train`; held-out queries use only `heldOut`:
 * phrasings training never uses, built from words it does use (elsewhere), so that a model
 * trained from scratch has seen every word of the evaluation.
 */
export const QUERY_TEMPLATES: Record<Lang, { train: string[]; heldOut: string[] }> = {
  en: {
    train: ['How do I {v} {o}?', 'How can I {v} {o}?', 'Is it possible to {v} {o}?', 'I want to {v} {o}.', 'Where can I {v} {o}?', 'Can you help me {v} {o}?', 'What is the fastest way to {v} {o}?'],
    heldOut: ['Where is it possible to {v} {o}?', 'Please help me {v} {o}', '{v} {b}'],
  },
  de: {
    train: ['Wie kann ich {o} {v}?', 'Ich möchte {o} {v}.', 'Kann ich {o} {v}?', 'Wo kann ich {o} {v}?', 'Wie genau kann ich {o} {v}?', 'Hilfe, ich will {o} {v}!', 'Darf ich {o} online {v}?'],
    heldOut: ['Wo genau kann ich {o} {v}?', 'Hilfe, wie kann ich {o} online {v}', '{b} {v}'],
  },
  fr: {
    train: ['Comment {v} {o} ?', 'Comment puis-je {v} {o} ?', 'Est-ce que je peux {v} {o} ?', 'Je veux {v} {o}.', 'Où puis-je {v} {o} ?', "Pouvez-vous m'aider à {v} {o} ?", 'Je souhaite {v} {o}.'],
    heldOut: ["Où est-ce que je peux {v} {o} ?", 'Je veux savoir comment {v} {o}', '{v} {b}'],
  },
  es: {
    train: ['¿Cómo puedo {v} {o}?', '¿Cómo {v} {o}?', 'Quiero {v} {o}.', '¿Es posible {v} {o}?', '¿Dónde puedo {v} {o}?', '¿Me pueden ayudar a {v} {o}?', 'Necesito {v} {o}.'],
    heldOut: ['¿Dónde es posible {v} {o}?', 'Necesito ayuda, ¿cómo puedo {v} {o}', '{v} {b}'],
  },
};

/**
 * Answer templates: {V} the canonical verb, {B} it capitalised (a button label), {O} the
 * canonical object with a formal possessive ("your order"), {P} a place in the app, {X} a
 * generic closing sentence.
 */
export const ANSWER_TEMPLATES: Record<Lang, string[]> = {
  en: ['To {V} {O}, open {P} and select "{B}". {X}', 'You can {V} {O} from {P}. {X}', 'Open {P}, pick the entry and confirm with "{B}" to {V} {O}. {X}'],
  de: ['So können Sie {O} {V}: Öffnen Sie {P} und wählen Sie "{B}". {X}', 'Öffnen Sie {P}, dort können Sie {O} {V}. {X}', 'Öffnen Sie {P} und klicken Sie auf "{B}", um {O} jetzt {V} zu können. {X}'],
  fr: ['Pour {V} {O}, ouvrez {P} puis choisissez "{B}". {X}', 'Vous pouvez {V} {O} depuis {P}. {X}', 'Ouvrez {P} et cliquez sur "{B}" pour {V} {O}. {X}'],
  es: ['Para {V} {O}, abra {P} y seleccione "{B}". {X}', 'Puede {V} {O} desde {P}. {X}', 'Abra {P} y pulse "{B}" para {V} {O}. {X}'],
};

/** Places in the app or site, free of action and object words. */
export const PLACES: Record<Lang, string[]> = {
  en: ['Settings', 'the customer portal', 'the app menu', 'the Help Center', 'your dashboard', 'the Services tab', 'the Overview page', 'the mobile app'],
  de: ['die Einstellungen', 'das Kundenportal', 'das App-Menü', 'das Hilfe-Center', 'Ihr Dashboard', 'den Bereich Services', 'die Übersichtsseite', 'die mobile App'],
  fr: ['les paramètres', 'le portail client', "le menu de l'application", "le centre d'aide", 'votre tableau de bord', "l'onglet Services", "la page d'accueil", "l'application mobile"],
  es: ['la configuración', 'el portal del cliente', 'el menú de la aplicación', 'el centro de ayuda', 'su panel', 'la pestaña Servicios', 'la página de inicio', 'la aplicación móvil'],
};

/** Generic sentences that pad answers and distractors, free of action and object words. */
export const EXTRAS: Record<Lang, string[]> = {
  en: ['This usually takes less than a minute.', 'You will get a confirmation right away.', 'The service is free of charge.', 'You need to be signed in first.', 'This works in the app and on the website.', 'Our support team is happy to help if anything goes wrong.', 'For security reasons we may ask you to confirm your identity.', 'The option is available in all countries.', 'Please allow up to 24 hours for processing.', 'The process is safe and encrypted.'],
  de: ['Das dauert in der Regel weniger als eine Minute.', 'Sie erhalten sofort eine Bestätigung.', 'Der Service ist kostenlos.', 'Dafür müssen Sie angemeldet sein.', 'Das funktioniert in der App und auf der Website.', 'Bei Problemen hilft Ihnen unser Support-Team gerne weiter.', 'Aus Sicherheitsgründen bitten wir Sie eventuell, Ihre Identität zu bestätigen.', 'Die Option ist in allen Ländern verfügbar.', 'Die Verarbeitung kann bis zu 24 Stunden dauern.', 'Der Vorgang ist sicher und verschlüsselt.'],
  fr: ["Cela prend généralement moins d'une minute.", 'Vous recevez immédiatement une confirmation.', 'Le service est gratuit.', "Vous devez d'abord vous connecter.", "Cela fonctionne dans l'application et sur le site web.", "Notre équipe d'assistance vous aide volontiers en cas de problème.", 'Pour des raisons de sécurité, nous pouvons vous demander de confirmer votre identité.', "L'option est disponible dans tous les pays.", "Le traitement peut prendre jusqu'à 24 heures.", 'La procédure est sûre et chiffrée.'],
  es: ['Normalmente tarda menos de un minuto.', 'Recibirá una confirmación de inmediato.', 'El servicio es gratuito.', 'Primero debe iniciar sesión.', 'Funciona en la aplicación y en el sitio web.', 'Nuestro equipo de soporte le ayudará si surge algún problema.', 'Por motivos de seguridad, podemos pedirle que confirme su identidad.', 'La opción está disponible en todos los países.', 'El procesamiento puede tardar hasta 24 horas.', 'El proceso es seguro y cifrado.'],
};

/** Unrelated FAQ entries (title, first sentence) that fill the corpus as distractors. */
export const TOPICS: Record<Lang, [string, string][]> = {
  en: [
    ['Opening hours', 'Our customer service is open Monday to Friday from 8 am to 6 pm.'],
    ['Shipping costs', 'Standard shipping is free above 50 euros.'],
    ['Data privacy', 'We process your personal data only in accordance with the GDPR.'],
    ['Careers', 'We are always looking for talented people to join our team.'],
    ['Store locations', 'You can find our stores in more than 40 cities.'],
    ['Sustainability', 'All our packaging is made from recycled materials.'],
    ['Warranty', 'All products come with a two-year warranty.'],
    ['Payment methods', 'We accept all major cards and bank transfers.'],
    ['Accessibility', 'Our website follows the WCAG 2.1 guidelines.'],
    ['Press', 'Journalists can reach our press office by phone.'],
    ['Cookies', 'We use cookies to improve your experience on our website.'],
    ['Security', 'We will never ask for your password by phone.'],
    ['Delivery times', 'Most deliveries arrive within two to four working days.'],
    ['Languages', 'Our service is available in English, German, French and Spanish.'],
  ],
  de: [
    ['Öffnungszeiten', 'Unser Kundenservice ist montags bis freitags von 8 bis 18 Uhr erreichbar.'],
    ['Versandkosten', 'Der Standardversand ist ab 50 Euro kostenlos.'],
    ['Datenschutz', 'Wir verarbeiten Ihre personenbezogenen Daten ausschließlich gemäß DSGVO.'],
    ['Karriere', 'Wir suchen immer talentierte Menschen für unser Team.'],
    ['Filialen', 'Unsere Geschäfte finden Sie in mehr als 40 Städten.'],
    ['Nachhaltigkeit', 'Alle unsere Verpackungen bestehen aus recycelten Materialien.'],
    ['Garantie', 'Auf alle Produkte gibt es zwei Jahre Garantie.'],
    ['Zahlungsarten', 'Wir akzeptieren alle gängigen Karten und Überweisungen.'],
    ['Barrierefreiheit', 'Unsere Website folgt den WCAG-2.1-Richtlinien.'],
    ['Presse', 'Journalisten erreichen unsere Pressestelle telefonisch.'],
    ['Cookies', 'Wir verwenden Cookies, um Ihr Erlebnis auf unserer Website zu verbessern.'],
    ['Sicherheit', 'Wir fragen Sie niemals telefonisch nach Ihrem Passwort.'],
    ['Lieferzeiten', 'Die meisten Lieferungen kommen innerhalb von zwei bis vier Werktagen an.'],
    ['Sprachen', 'Unser Service ist auf Englisch, Deutsch, Französisch und Spanisch verfügbar.'],
  ],
  fr: [
    ["Horaires d'ouverture", 'Notre service client est ouvert du lundi au vendredi de 8 h à 18 h.'],
    ["Frais d'expédition", "L'expédition standard est gratuite à partir de 50 euros."],
    ['Protection des données', 'Nous traitons vos données personnelles uniquement conformément au RGPD.'],
    ['Carrières', 'Nous recherchons toujours des personnes talentueuses pour rejoindre notre équipe.'],
    ['Nos magasins', 'Vous trouverez nos magasins dans plus de 40 villes.'],
    ['Développement durable', 'Tous nos emballages sont fabriqués à partir de matériaux recyclés.'],
    ['Garantie', 'Tous nos produits sont garantis deux ans.'],
    ['Moyens de paiement', 'Nous acceptons toutes les cartes courantes et les virements.'],
    ['Accessibilité', 'Notre site web respecte les règles WCAG 2.1.'],
    ['Presse', 'Les journalistes peuvent joindre notre service de presse par téléphone.'],
    ['Cookies', 'Nous utilisons des cookies pour améliorer votre expérience sur notre site.'],
    ['Sécurité', 'Nous ne vous demanderons jamais votre mot de passe par téléphone.'],
    ['Délais de livraison', 'La plupart des livraisons arrivent en deux à quatre jours ouvrés.'],
    ['Langues', 'Notre service est disponible en anglais, allemand, français et espagnol.'],
  ],
  es: [
    ['Horario de atención', 'Nuestro servicio al cliente atiende de lunes a viernes de 8 a 18 h.'],
    ['Gastos de envío', 'El envío estándar es gratuito a partir de 50 euros.'],
    ['Protección de datos', 'Tratamos sus datos personales únicamente conforme al RGPD.'],
    ['Empleo', 'Siempre buscamos personas con talento para nuestro equipo.'],
    ['Tiendas', 'Encontrará nuestras tiendas en más de 40 ciudades.'],
    ['Sostenibilidad', 'Todos nuestros embalajes están hechos de materiales reciclados.'],
    ['Garantía', 'Todos los productos tienen dos años de garantía.'],
    ['Formas de pago', 'Aceptamos las principales tarjetas y transferencias bancarias.'],
    ['Accesibilidad', 'Nuestro sitio web sigue las pautas WCAG 2.1.'],
    ['Prensa', 'Los periodistas pueden contactar con nuestra oficina de prensa por teléfono.'],
    ['Cookies', 'Usamos cookies para mejorar su experiencia en nuestro sitio web.'],
    ['Seguridad', 'Nunca le pediremos su contraseña por teléfono.'],
    ['Plazos de entrega', 'La mayoría de las entregas llegan en dos a cuatro días hábiles.'],
    ['Idiomas', 'Nuestro servicio está disponible en inglés, alemán, francés y español.'],
  ],
};

/** Title and opening of an object's general information page: {O} as in answers. */
export const INFO_PAGES: Record<Lang, [title: string, opening: string]> = {
  en: ['{C} information', 'Everything you need to know about {O}.'],
  de: ['{C}: Informationen', 'Alles Wissenswerte rund um {O}.'],
  fr: ['Informations : {C}', "Tout ce qu'il faut savoir sur {O}."],
  es: ['Información: {C}', 'Todo lo que necesita saber sobre {O}.'],
};
